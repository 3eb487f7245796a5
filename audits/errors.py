"""One exception tree. Every error the audit raises on purpose is an AuditError, and either a
PermanentError (a retry cannot fix it: a person fixes the cause, then runs again) or a
RetryableError (trying again may fix it: Airflow retries the task). Callers catch the base or
a branch, never a list of classes. Each class lives with the stage that raises it:

    AuditError
    ├── PermanentError
    │   ├── ConfigError (also ValueError)         config: an unusable rulepack or setting
    │   │   ├── SigningKeyError                   signing: an unusable key file
    │   │   └── PullRefused                       sources.fetch: a pull a person must decide on
    │   ├── CannotAudit                           ingest: unusable reference data stops the run
    │   │   └── StoreError                        store: a partition that is not what was written
    │   ├── FileUnreadable                        loaders: a landing file that cannot be parsed
    │   ├── WorkMissing (also FileNotFoundError)  workdir: a stage input missing from the run's work
    │   ├── ReviewError (also ValueError)         review.dailies: the review cannot be made
    │   ├── PeriodError (also ValueError)         review.period: a month or quarter that cannot be read
    │   ├── NotASelect (also ValueError)          sources.query: a query that is not one SELECT
    │   ├── NoCases (also LookupError)            cases.lookup: no cases to show
    │   ├── UsageError (also ValueError)          verification.dispatch: a path and options that do not fit
    │   ├── DeskConfigError (also ValueError)     desk.roles: an unusable desk config
    │   └── Refused                               desk.service: an act the roles or four eyes do not allow
    └── RetryableError
        ├── PullError                             sources.fetch: a server down, a connection reset
        │   ├── ChecksumMismatch                  the file differs from its sidecar's sha256
        │   └── SourceChanged                     the file changed while it was pulled
        └── LockTimeout                           locks: another run held the lock too long

The built-in base a class had before (ValueError, LookupError, FileNotFoundError) stays, so a
caller that catches it still does. Messages say what failed, where, and what to do.
"""

from __future__ import annotations


class AuditError(Exception):
    """An error the audit raises on purpose; the message says what failed, where, and what to do."""


class PermanentError(AuditError):
    """A retry cannot fix it: fix the cause the message names, then run (or clear the task) again."""


class RetryableError(AuditError):
    """Trying again may fix it (a server down, a file still being written, a lock held by another run)."""
