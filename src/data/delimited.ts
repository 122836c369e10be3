// A small parser for delimited text (CSV and TSV) that remembers on which line each record starts,
// so that every later error can point at a line of the user's file.
//
//   const rows = parseDelimited(text, { file: "reviews.csv", delimiter: "," });
//   rows[0].fields;   // the header
//   rows[1].line;     // the line the first data record starts on (2, or more after blank lines)
//
// Quoting ("quotes", the default; RFC 4180 as spreadsheets write it): a field that starts with a
// double quote runs to the matching closing quote, and may hold the delimiter, line breaks and
// doubled quotes ("" is one "). A quote inside an unquoted field is an ordinary character.
// Quoting "none": every character is literal and a record is one line. Some TSV exports (the
// Amazon US Reviews files among them) are written this way, with bare quotes at the start of fields.
// Line ends may be \n or \r\n; blank lines between records are skipped; a leading UTF-8 BOM is dropped.
import { DataFileError } from "../util/data-file-error";

export interface DelimitedOptions {
  /** The file's name for error messages. */
  file: string;
  /** One character: "," for CSV, "\t" for TSV. */
  delimiter: string;
  /** "quotes" (default): fields may be quoted as above. "none": no character is special but the delimiter. */
  quoting?: "quotes" | "none";
}

export interface DelimitedRecord {
  /** The record's fields, unquoted. */
  fields: string[];
  /** 1-based line of the file where the record starts. */
  line: number;
}

/** Splits delimited text into records; throws a DataFileError naming the line of a malformed quote. */
export function parseDelimited(text: string, options: DelimitedOptions): DelimitedRecord[] {
  const { file, delimiter } = options;
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === "\n" || delimiter === "\r") {
    throw new Error(`parseDelimited: the delimiter must be one character other than a quote or a line break, got ${JSON.stringify(delimiter)}.`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return options.quoting === "none" ? parseUnquoted(text, delimiter) : parseQuoted(text, delimiter, file);
}

function parseUnquoted(text: string, delimiter: string): DelimitedRecord[] {
  const records: DelimitedRecord[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    if (line === "") continue;
    records.push({ fields: line.split(delimiter), line: i + 1 });
  }
  return records;
}

function parseQuoted(text: string, delimiter: string, file: string): DelimitedRecord[] {
  const records: DelimitedRecord[] = [];
  const n = text.length;
  let line = 1; // the line the scanner is on
  let i = 0;
  while (i < n) {
    // Skip blank lines between records: they are not records of one empty field.
    if (text[i] === "\n") { line++; i++; continue; }
    if (text[i] === "\r" && text[i + 1] === "\n") { line++; i += 2; continue; }
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let value: string;
      if (text[i] === '"') {
        const opened = line;
        const parts: string[] = [];
        let from = ++i;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) {
            throw new DataFileError({ file, line: opened }, "a quoted field opened on this line is never closed.",
              'close the field with a double quote, and write a quote inside a quoted field twice ("").');
          }
          for (let j = text.indexOf("\n", i); j >= 0 && j < q; j = text.indexOf("\n", j + 1)) line++;
          if (text[q + 1] === '"') { parts.push(text.slice(from, q + 1)); i = from = q + 2; continue; }
          parts.push(text.slice(from, q));
          i = q + 1;
          break;
        }
        value = parts.join("");
        const next = text[i];
        if (i < n && next !== delimiter && next !== "\n" && !(next === "\r" && text[i + 1] === "\n")) {
          throw new DataFileError({ file, line }, `a quoted field is followed by ${JSON.stringify(text.slice(i, i + 10).split(/\r?\n/)[0])} instead of the delimiter or the end of the line.`,
            'write a quote inside a quoted field twice (""); if quotes in this file are ordinary characters, read it with { quoting: "none" }.');
        }
      } else {
        let end = i;
        while (end < n && text[end] !== delimiter && text[end] !== "\n" && !(text[end] === "\r" && text[end + 1] === "\n")) end++;
        value = text.slice(i, end);
        i = end;
      }
      fields.push(value);
      if (i < n && text[i] === delimiter) { i++; continue; }
      // End of the record: a line break (consumed here) or the end of the text.
      if (text[i] === "\r") i++;
      if (text[i] === "\n") { i++; line++; }
      break;
    }
    records.push({ fields, line: start });
  }
  return records;
}
