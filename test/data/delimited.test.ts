// The CSV/TSV parser: quoting as spreadsheets write it, line numbers for errors, and unquoted TSV.
import assert from "node:assert/strict";
import { DataFileError } from "../../src/util/data-file-error";
import { parseDelimited } from "../../src/data/delimited";

const csv = (text: string) => parseDelimited(text, { file: "t.csv", delimiter: "," });

describe("parseDelimited", () => {
  it("splits plain rows and numbers each record by its line", () => {
    assert.deepEqual(csv("a,b,c\n1,2,3\n"), [{ fields: ["a", "b", "c"], line: 1 }, { fields: ["1", "2", "3"], line: 2 }]);
  });

  it("reads quoted fields with delimiters, doubled quotes and line breaks, keeping later line numbers right", () => {
    const text = 'id,text\r\n1,"Good, cheap"\r\n2,"He said ""wow"""\r\n3,"two\nlines\r\nthree"\r\n4,after\r\n';
    assert.deepEqual(csv(text), [
      { fields: ["id", "text"], line: 1 },
      { fields: ["1", "Good, cheap"], line: 2 },
      { fields: ["2", 'He said "wow"'], line: 3 },
      { fields: ["3", "two\nlines\r\nthree"], line: 4 },
      { fields: ["4", "after"], line: 7 },
    ]);
  });

  it("keeps empty fields, skips blank lines, drops a BOM and needs no final newline", () => {
    assert.deepEqual(csv('\uFEFFa,b\n\n,\n"",x\n\nlast,"q"'), [
      { fields: ["a", "b"], line: 1 },
      { fields: ["", ""], line: 3 },
      { fields: ["", "x"], line: 4 },
      { fields: ["last", "q"], line: 6 },
    ]);
  });

  it("treats a quote inside an unquoted field as an ordinary character", () => {
    assert.deepEqual(csv('a,b\n5" screen,ok\n')[1].fields, ['5" screen', "ok"]);
  });

  it("names the line of a quoted field that is never closed", () => {
    assert.throws(() => csv('a,b\n1,ok\n2,"never closed\n3,x\n'), (err: unknown) => {
      assert.ok(err instanceof DataFileError);
      assert.equal(err.line, 3);
      assert.equal(err.message, 't.csv, line 3: a quoted field opened on this line is never closed. Fix: close the field with a double quote, and write a quote inside a quoted field twice ("").');
      return true;
    });
  });

  it("names the line of text after a closing quote", () => {
    assert.throws(() => csv('a,b\n1,"multi\nline" oops\n'),
      /^DataFileError: t\.csv, line 3: a quoted field is followed by " oops" instead of the delimiter or the end of the line\. Fix: write a quote inside a quoted field twice \(""\); if quotes in this file are ordinary characters, read it with \{ quoting: "none" \}\.$/);
  });

  it("reads TSV, quoted or with quoting none (quotes are literal, one record per line)", () => {
    assert.deepEqual(parseDelimited('a\tb\n"x\ty"\tz\n', { file: "t.tsv", delimiter: "\t" })[1].fields, ["x\ty", "z"]);
    assert.deepEqual(parseDelimited('a\tb\r\n"Best" ever\t"5"\r\n\r\nlast\t1', { file: "t.tsv", delimiter: "\t", quoting: "none" }), [
      { fields: ["a", "b"], line: 1 },
      { fields: ['"Best" ever', '"5"'], line: 2 },
      { fields: ["last", "1"], line: 4 },
    ]);
  });

  it("refuses a delimiter that cannot work", () => {
    assert.throws(() => parseDelimited("a", { file: "t", delimiter: '"' }), /the delimiter must be one character other than a quote or a line break/);
    assert.throws(() => parseDelimited("a", { file: "t", delimiter: ";;" }), /the delimiter must be one character/);
  });
});
