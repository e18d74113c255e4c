/** Where a plugin command writes: the process's stdout and stderr, or a test's buffers. */
export interface PluginIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}
