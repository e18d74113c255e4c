// `list` marks drift (POLICY.md "Drift"): a node under maintenance that is schedulable, and a
// maintenance older than the policy's maintenanceMaxAge. Pure, over list's rows.
export interface DriftMarks {
  /** Under maintenance and not cordoned. */
  drifted: boolean;
  /**
   * Under maintenance for longer than maintenanceMaxAge, from the start record; null when the
   * node is under maintenance without a start record (list cannot date it) and a limit is set.
   */
  overdue: boolean | null;
}

/** The facts of a list row that drift is read from: reason is null when not under maintenance. */
interface MaintenanceFacts {
  cordoned: boolean;
  reason: string | null;
  since: string | null;
}

export function withDrift<Row extends MaintenanceFacts>(rows: readonly Row[], maintenanceMaxAge: number | null, now: number): (Row & DriftMarks)[] {
  return rows.map((row) => {
    const underMaintenance = row.reason !== null;
    const started = row.since === null ? Number.NaN : Date.parse(row.since);
    const overdue = !underMaintenance || maintenanceMaxAge === null ? false : Number.isNaN(started) ? null : now - started > maintenanceMaxAge;
    return { ...row, drifted: underMaintenance && !row.cordoned, overdue };
  });
}

/** The table's DRIFT cell: what is wrong with the row, or nothing. */
export function driftCell(marks: DriftMarks): string | null {
  const words = [marks.drifted ? 'DRIFTED' : '', marks.overdue === true ? 'OVERDUE' : ''].filter((w) => w !== '');
  return words.length === 0 ? null : words.join(',');
}
