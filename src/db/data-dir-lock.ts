import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.ts';

/** The file in a PGlite data directory that names the process using it. */
export const dataDirLockName = 'rapport.pid';

/** Whether a process of this id runs (EPERM: it runs as another user). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claims a PGlite data directory for this process, or refuses with a clear error when another live process holds it.
 * PGlite is one process's database: a second process (a CLI command while the server runs) opens its own copy of the
 * files, and whichever closes last overwrites the other's writes — they are lost without a word. So the first process
 * writes its pid into `rapport.pid` (created exclusively); another one reads it and refuses while that process runs.
 * A pid whose process is gone (a crash, a kill -9) is stale and taken over; the pid of this very process is too (a
 * container restarting under the same pid). A pid file, not a lock file refreshed on a timer: PGlite's work holds the
 * event loop for seconds at a time, which a timer-refreshed lock would take for a dead holder. Returns the release.
 */
export function lockDataDir(dir: string): () => void {
  const file = path.join(dir, dataDirLockName);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
        } catch {
          // Gone already: nothing to release.
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: number;
    try {
      holder = Number(fs.readFileSync(file, 'utf8').trim());
    } catch {
      continue; // Released meanwhile: try again.
    }
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && running(holder))
      throw new AppError(
        'conflict',
        `The data directory ${dir} is in use by another Rapport process (pid ${holder}): a running server or command. ` +
          'Stop it first, or do this through its console or API. (On PostgreSQL, with DATABASE_URL, several processes can share the database.)',
        { dataDir: dir, pid: holder },
      );
    fs.rmSync(file, { force: true });
  }
  throw new AppError('conflict', `Could not claim the data directory ${dir}: another process keeps claiming it`, {
    dataDir: dir,
  });
}
