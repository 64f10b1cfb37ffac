// The one error type of document reading: it names the file and says what is wrong with it, so the CLI can
// print one clear line and exit with the bad-input code.
export type DocumentProblem = "missing" | "unsupported" | "corrupt" | "encrypted" | "empty" | "needs-model";

export class DocumentError extends Error {
  constructor(
    readonly file: string,
    readonly problem: DocumentProblem,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = "DocumentError";
  }
}
