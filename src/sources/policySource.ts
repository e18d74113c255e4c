// Where policy documents come from. Each source reads its documents and hands them to the
// PolicyStore, which alone decides what is in force.

/** The label of a source in logs and metrics. */
export type PolicySourceKind = 'file' | 'configmap';

/** A place policy documents come from. `start` resolves once the first version was read. */
export interface PolicySource {
  readonly description: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
