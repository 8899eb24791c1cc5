/**
 * The limits of an uploaded framework table, in a module of their own (no dependencies), so the
 * dialog and the console can quote them without loading the reader.
 *
 * @example T.unsupportedFile(DEFAULT_WORKBOOK_LIMITS.maxRows, DEFAULT_WORKBOOK_LIMITS.maxColumns)
 */

/** How much of a workbook an import reads before refusing it. */
export interface WorkbookLimits {
  /** Bytes actually inflated, over every part read. */
  maxUnpackedBytes: number;
  /** The last row a worksheet may use (its dimension, rows, cells and merges). */
  maxRows: number;
  /** The last column a worksheet may use. */
  maxColumns: number;
  /** Cells of the used ranges (rows × columns) of all worksheets together; also caps cell and merge elements. */
  maxCells: number;
}

/**
 * The limits of an uploaded framework sheet. A real annex sheet has a few hundred rows and under 20
 * columns; these leave room for far larger ones while keeping an import within a small heap.
 */
export const DEFAULT_WORKBOOK_LIMITS: Readonly<WorkbookLimits> = Object.freeze({
  maxUnpackedBytes: 50 * 1024 * 1024,
  maxRows: 5_000,
  maxColumns: 100,
  maxCells: 200_000,
});
