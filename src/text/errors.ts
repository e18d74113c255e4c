// What a caught value says, whatever was thrown: `throw 'text'` and rejected non-Errors happen.
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
