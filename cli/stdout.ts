// A command's whole output, written to fd 1 at once. process.stdout is a stream object, and
// making it loads node:stream, a visible part of a short command such as `qdc lint` or
// `qdc compile` (whose output is one string anyway).
import { writeSync } from 'node:fs';

/** Where writeStdout sends text (an object, so that tests can intercept it). */
export const commandOutput = {
  write(text: string): void {
    const bytes = Buffer.from(text);
    let done = 0;
    try {
      while (done < bytes.length) done += writeSync(1, bytes, done);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // a non-blocking stdout (one a parent shares) that is full: the stream waits for it
      if (code === 'EAGAIN') process.stdout.write(bytes.subarray(done));
      // a reader that went away (`| head`) takes no more output; that is not an error of ours
      else if (code !== 'EPIPE') throw e;
    }
  },
};

export function writeStdout(text: string): void {
  commandOutput.write(text);
}
