"""A registration job in its own process, for the tests of two jobs on one journal.

``python journal_job.py BASE_URL API_KEY ACCOUNT CREDITOR JOURNAL COUNT MODE``

MODE ``run`` registers COUNT customers with the journal and exits 0; ``hold``
prints ``HOLDING`` after the first outcome and waits for a line on stdin
before going on; ``die`` kills its own process (SIGKILL) after a few outcomes.
A journal another job holds exits 3 with the error's message on stderr.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import SimpleNamespace

import anyio

sys.path.insert(0, str(Path(__file__).parent))

from bulk_support import registration

from amili_async import AmiliClient, JournalLockedError, RetryPolicy

LOCKED = 3


async def main(
    base_url: str, api_key: str, scope: SimpleNamespace, journal: str, count: int, mode: str
) -> int:
    items = [registration(scope, n) for n in range(count)]  # type: ignore[arg-type]
    retry = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.1)
    async with AmiliClient(api_key=api_key, base_url=base_url, retry=retry) as client:
        job = client.case_registrations.create_many(items, concurrency=8, journal=journal)
        try:
            async with job as outcomes:
                done = 0
                async for _ in outcomes:
                    done += 1
                    if done == 1 and mode == "hold":
                        print("HOLDING", flush=True)
                        await anyio.to_thread.run_sync(sys.stdin.readline)
                    if done == 25 and mode == "die":
                        os.kill(os.getpid(), signal.SIGKILL)
        except JournalLockedError as error:
            print(error, file=sys.stderr, flush=True)
            return LOCKED
    print(f"DONE {done}", flush=True)
    return 0


if __name__ == "__main__":
    url, key, account, creditor, path, how_many, how = sys.argv[1:8]
    scope = SimpleNamespace(account_id=account, creditor_id=creditor)
    sys.exit(anyio.run(main, url, key, scope, path, int(how_many), how))
