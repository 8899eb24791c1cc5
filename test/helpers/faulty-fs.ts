/**
 * A fault-injecting `FileOps` for the lowdb store: the real node:fs calls, except that the k-th write
 * call (open for writing, write, flush, link, rename) after `arm(k)` fails the way a full disk or a
 * failing device does: a write puts half its bytes in the file and then throws ENOSPC, a flush throws
 * EIO, the others throw ENOSPC. Counting the calls of an operation (`arm(Infinity)`) gives its write
 * sites, so a test can fail each one in turn.
 */
import { basename } from 'node:path';
import { nodeFileOps, type FileOps } from '../../src/store/lowdb-files';

/** The injector and the ops to hand to `openLowdbStore({ fileOps })`. */
export interface FaultyFs {
  ops: FileOps;
  /** Counts write calls from now on and fails the k-th (Infinity: only count). */
  arm(k: number): void;
  /** Stops counting and failing. */
  disarm(): void;
  /** The write calls counted since `arm`, as `call:file`. */
  readonly sites: string[];
  /** Also fail cutting a file back (ftruncate) while armed: a failed write whose clean-up fails too. */
  failCutBack: boolean;
  /**
   * While true and not armed, flushes return at once without reaching the device: for long set-ups
   * (thousands of writes) whose durability is not what the test is about.
   */
  quick: boolean;
}

const failure = (code: 'ENOSPC' | 'EIO', call: string) =>
  Object.assign(new Error(`${code}: ${code === 'ENOSPC' ? 'no space left on device' : 'i/o error'}, ${call} (injected)`), { code });

/** Creates the injector around node:fs. */
export function createFaultyFs(): FaultyFs {
  let armed = false;
  let failAt = Infinity;
  const sites: string[] = [];
  const paths = new Map<number, string>();
  const self: FaultyFs = {
    ops: undefined as unknown as FileOps,
    arm(k) {
      armed = true;
      failAt = k;
      sites.length = 0;
    },
    disarm() {
      armed = false;
      failAt = Infinity;
    },
    sites,
    failCutBack: false,
    quick: false,
  };
  /** True when this call is the one to fail. */
  const hit = (call: string, target: string | number): boolean => {
    if (!armed) return false;
    const name = typeof target === 'number' ? (paths.get(target) ?? `fd${target}`) : target;
    sites.push(`${call}:${basename(name)}`);
    return sites.length === failAt;
  };
  const skipFlush = () => self.quick && !armed;
  const ops: FileOps = {
    ...nodeFileOps,
    openSync(path, flags) {
      if (flags !== 'r' && hit('open', path)) throw failure('ENOSPC', `open '${path}'`);
      const fd = nodeFileOps.openSync(path, flags);
      paths.set(fd, path);
      return fd;
    },
    writeSync(fd, data, offset, length) {
      if (hit('write', fd)) {
        const half = Math.floor(length / 2);
        if (half > 0) nodeFileOps.writeSync(fd, data, offset, half);
        throw failure('ENOSPC', 'write');
      }
      return nodeFileOps.writeSync(fd, data, offset, length);
    },
    fsyncSync(fd) {
      if (hit('fsync', fd)) throw failure('EIO', 'fsync');
      if (!skipFlush()) nodeFileOps.fsyncSync(fd);
    },
    ftruncateSync(fd, length) {
      if (armed && self.failCutBack) throw failure('EIO', 'ftruncate');
      nodeFileOps.ftruncateSync(fd, length);
    },
    renameSync(from, to) {
      if (hit('rename', to)) throw failure('ENOSPC', `rename '${from}'`);
      nodeFileOps.renameSync(from, to);
    },
    linkSync(existing, link) {
      if (hit('link', existing)) throw failure('ENOSPC', `link '${existing}'`);
      nodeFileOps.linkSync(existing, link);
    },
    async open(path, flags) {
      if (flags !== 'r' && hit('open', path)) throw failure('ENOSPC', `open '${path}'`);
      const fd = await nodeFileOps.open(path, flags);
      paths.set(fd, path);
      return fd;
    },
    async write(fd, data, offset, length) {
      if (hit('write', fd)) {
        const half = Math.floor(length / 2);
        if (half > 0) await nodeFileOps.write(fd, data, offset, half);
        throw failure('ENOSPC', 'write');
      }
      return nodeFileOps.write(fd, data, offset, length);
    },
    async fdatasync(fd) {
      if (hit('fdatasync', fd)) throw failure('EIO', 'fdatasync');
      if (!skipFlush()) await nodeFileOps.fdatasync(fd);
    },
    async fsync(fd) {
      if (hit('fsync', fd)) throw failure('EIO', 'fsync');
      if (!skipFlush()) await nodeFileOps.fsync(fd);
    },
    async rename(from, to) {
      if (hit('rename', to)) throw failure('ENOSPC', `rename '${from}'`);
      await nodeFileOps.rename(from, to);
    },
  };
  self.ops = ops;
  return self;
}
