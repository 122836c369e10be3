// How the library tells its caller about something it went on past: bad rows left out of a file,
// examples a template could not render, a baseline that did not converge. One way for all of them:
// a notice goes to the caller's own handler when it passes one (onNotice), else to the workbook's
// handler, which prints one line on stdout ("[workbook] loadReviewFile: ..."). stdout, because a
// notebook shows stderr as an error. Tests and tools capture notices with setNoticeHandler.
//
//   notify("loadReviewFile", "skipped 2 bad rows of reviews.tsv; the first: ...", options.onNotice);

export interface Notice {
  /** The function that reports it, e.g. "loadReviewFile". */
  source: string;
  /** What happened and, where it helps, what to change. */
  message: string;
}

export type NoticeHandler = (notice: Notice) => void;

const printNotice: NoticeHandler = (n) => console.log(`[workbook] ${n.source}: ${n.message}`);
let workbookHandler: NoticeHandler = printNotice;

/** Where notices go when a call passes no handler of its own; undefined restores the printing one. */
export function setNoticeHandler(handler: NoticeHandler | undefined): void {
  workbookHandler = handler ?? printNotice;
}

/** Reports a notice to `local` if given, else to the workbook's handler. */
export function notify(source: string, message: string, local?: NoticeHandler): void {
  (local ?? workbookHandler)({ source, message });
}
