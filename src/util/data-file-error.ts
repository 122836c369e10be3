// The error every data loader throws about a user's file: it names the file, the line and the column,
// and says how to fix the problem.
//
//   try { loadReviewFile("reviews.tsv", { columns: "amazon-us-reviews" }); }
//   catch (err) { if (err instanceof DataFileError) console.log(err.file, err.line, err.column); }
//
// The message reads `reviews.tsv, line 7, column "star_rating": the rating "6" is not ... Fix: ...`,
// so a learner can open the file in an editor at that line. Lines count from 1 as editors do, and the
// header is line 1; a record whose quoted field spans several lines is named by the line it starts on.

export interface DataFileLocation {
  /** The file as the user named it (not resolved), so the message shows the path they typed. */
  file: string;
  /** 1-based line where the record starts; undefined for problems with the whole file. */
  line?: number;
  /** The column (as the file names it) the problem is in, when there is one. */
  column?: string;
}

export class DataFileError extends Error implements DataFileLocation {
  readonly file: string;
  readonly line?: number;
  readonly column?: string;
  /** What is wrong, without the location prefix and the fix. */
  readonly problem: string;

  constructor(where: DataFileLocation, problem: string, fix?: string) {
    const location = [
      where.file,
      where.line !== undefined ? `line ${where.line}` : undefined,
      where.column !== undefined ? `column "${where.column}"` : undefined,
    ]
      .filter((s) => s !== undefined)
      .join(", ");
    super(`${location}: ${problem}${fix ? ` Fix: ${fix}` : ""}`);
    this.name = "DataFileError";
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
    this.problem = problem;
  }
}
