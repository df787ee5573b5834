-- The first schema. Times are INTEGER microseconds since the Unix epoch (NULL when
-- unset); statuses are the AWS strings; JSON is kept as the text the API received.

CREATE TABLE state_machines (
    arn                      TEXT PRIMARY KEY,
    name                     TEXT NOT NULL,
    type                     TEXT NOT NULL,
    definition               TEXT NOT NULL,
    role_arn                 TEXT NOT NULL,
    logging_configuration    TEXT NOT NULL DEFAULT '',
    tracing_configuration    TEXT NOT NULL DEFAULT '',
    encryption_configuration TEXT NOT NULL DEFAULT '',
    description              TEXT NOT NULL DEFAULT '',
    status                   TEXT NOT NULL,
    creation_date            INTEGER NOT NULL,
    update_date              INTEGER NOT NULL,
    revision_id              TEXT NOT NULL,
    -- last_version only grows, so a deleted version's number is never reused.
    last_version             INTEGER NOT NULL DEFAULT 0
);

-- Every configuration a state machine has had: running executions keep the one they
-- started on.
CREATE TABLE state_machine_revisions (
    state_machine_arn        TEXT NOT NULL REFERENCES state_machines (arn) ON DELETE CASCADE,
    revision_id              TEXT NOT NULL,
    type                     TEXT NOT NULL,
    definition               TEXT NOT NULL,
    role_arn                 TEXT NOT NULL,
    logging_configuration    TEXT NOT NULL DEFAULT '',
    tracing_configuration    TEXT NOT NULL DEFAULT '',
    encryption_configuration TEXT NOT NULL DEFAULT '',
    creation_date            INTEGER NOT NULL,
    PRIMARY KEY (state_machine_arn, revision_id)
) WITHOUT ROWID;

CREATE TABLE state_machine_versions (
    arn                      TEXT PRIMARY KEY,
    state_machine_arn        TEXT NOT NULL REFERENCES state_machines (arn) ON DELETE CASCADE,
    version                  INTEGER NOT NULL,
    description              TEXT NOT NULL DEFAULT '',
    revision_id              TEXT NOT NULL,
    type                     TEXT NOT NULL,
    definition               TEXT NOT NULL,
    role_arn                 TEXT NOT NULL,
    logging_configuration    TEXT NOT NULL DEFAULT '',
    tracing_configuration    TEXT NOT NULL DEFAULT '',
    encryption_configuration TEXT NOT NULL DEFAULT '',
    creation_date            INTEGER NOT NULL,
    UNIQUE (state_machine_arn, version)
);

CREATE TABLE state_machine_aliases (
    arn               TEXT PRIMARY KEY,
    state_machine_arn TEXT NOT NULL REFERENCES state_machines (arn) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    creation_date     INTEGER NOT NULL,
    update_date       INTEGER NOT NULL,
    UNIQUE (state_machine_arn, name)
);

-- An alias's routes; the foreign key to the version refuses to delete a version that an
-- alias still routes to.
CREATE TABLE state_machine_alias_routes (
    alias_arn   TEXT NOT NULL REFERENCES state_machine_aliases (arn) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    version_arn TEXT NOT NULL REFERENCES state_machine_versions (arn),
    weight      INTEGER NOT NULL,
    PRIMARY KEY (alias_arn, position)
) WITHOUT ROWID;
CREATE INDEX state_machine_alias_routes_version ON state_machine_alias_routes (version_arn);

CREATE TABLE tags (
    resource_arn TEXT NOT NULL,
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (resource_arn, key)
) WITHOUT ROWID;

-- The hot row of an execution: small, rewritten on every step. Input and the engine's
-- snapshot live in their own tables so a step does not rewrite them.
CREATE TABLE executions (
    id                   INTEGER PRIMARY KEY,
    arn                  TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    state_machine_arn    TEXT NOT NULL,
    version_arn          TEXT NOT NULL DEFAULT '',
    alias_arn            TEXT NOT NULL DEFAULT '',
    revision_id          TEXT NOT NULL DEFAULT '',
    map_run_arn          TEXT NOT NULL DEFAULT '',
    parent_execution_arn TEXT NOT NULL DEFAULT '',
    status               TEXT NOT NULL,
    output               TEXT NOT NULL DEFAULT '',
    error                TEXT NOT NULL DEFAULT '',
    cause                TEXT NOT NULL DEFAULT '',
    trace_header         TEXT NOT NULL DEFAULT '',
    start_date           INTEGER NOT NULL,
    stop_date            INTEGER,
    redrive_count        INTEGER NOT NULL DEFAULT 0,
    redrive_date         INTEGER,
    last_event_id        INTEGER NOT NULL DEFAULT 0,
    UNIQUE (state_machine_arn, name)
);
CREATE INDEX executions_state_machine ON executions (state_machine_arn, start_date, id);
CREATE INDEX executions_state_machine_status ON executions (state_machine_arn, status, start_date, id);
CREATE INDEX executions_version ON executions (version_arn, start_date, id) WHERE version_arn <> '';
CREATE INDEX executions_alias ON executions (alias_arn, start_date, id) WHERE alias_arn <> '';
CREATE INDEX executions_map_run ON executions (map_run_arn, start_date, id) WHERE map_run_arn <> '';
CREATE INDEX executions_running ON executions (id) WHERE status = 'RUNNING';

CREATE TABLE execution_inputs (
    execution_id INTEGER PRIMARY KEY REFERENCES executions (id) ON DELETE CASCADE,
    input        TEXT NOT NULL
);

CREATE TABLE execution_snapshots (
    execution_id INTEGER PRIMARY KEY REFERENCES executions (id) ON DELETE CASCADE,
    snapshot     BLOB NOT NULL
);

CREATE TABLE events (
    execution_id      INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    id                INTEGER NOT NULL,
    previous_event_id INTEGER NOT NULL,
    type              TEXT NOT NULL,
    timestamp         INTEGER NOT NULL,
    details           TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (execution_id, id)
) WITHOUT ROWID;

CREATE TABLE timers (
    execution_arn TEXT NOT NULL,
    key           TEXT NOT NULL,
    due           INTEGER NOT NULL,
    PRIMARY KEY (execution_arn, key)
) WITHOUT ROWID;
CREATE INDEX timers_due ON timers (due);

CREATE TABLE task_tokens (
    token              TEXT PRIMARY KEY,
    execution_arn      TEXT NOT NULL,
    state_name         TEXT NOT NULL,
    event_id           INTEGER NOT NULL,
    attempt            INTEGER NOT NULL DEFAULT 0,
    activity_arn       TEXT NOT NULL DEFAULT '',
    input              TEXT NOT NULL DEFAULT '',
    worker_name        TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    started_at         INTEGER,
    heartbeat_deadline INTEGER,
    timeout_deadline   INTEGER,
    completed_at       INTEGER
);
-- The queue GetActivityTask takes from: open activity tasks no worker has claimed.
CREATE INDEX task_tokens_activity_queue ON task_tokens (activity_arn, created_at)
    WHERE status = 'WAITING' AND started_at IS NULL AND activity_arn <> '';

CREATE TABLE activities (
    arn           TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    creation_date INTEGER NOT NULL
);

CREATE TABLE map_runs (
    id                           INTEGER PRIMARY KEY,
    arn                          TEXT NOT NULL UNIQUE,
    execution_arn                TEXT NOT NULL,
    status                       TEXT NOT NULL,
    max_concurrency              INTEGER NOT NULL DEFAULT 0,
    tolerated_failure_percentage REAL NOT NULL DEFAULT 0,
    tolerated_failure_count      INTEGER NOT NULL DEFAULT 0,
    item_pending                 INTEGER NOT NULL DEFAULT 0,
    item_running                 INTEGER NOT NULL DEFAULT 0,
    item_succeeded               INTEGER NOT NULL DEFAULT 0,
    item_failed                  INTEGER NOT NULL DEFAULT 0,
    item_timed_out               INTEGER NOT NULL DEFAULT 0,
    item_aborted                 INTEGER NOT NULL DEFAULT 0,
    item_total                   INTEGER NOT NULL DEFAULT 0,
    item_results_written         INTEGER NOT NULL DEFAULT 0,
    item_failures_not_redrivable INTEGER NOT NULL DEFAULT 0,
    item_pending_redrive         INTEGER NOT NULL DEFAULT 0,
    exec_pending                 INTEGER NOT NULL DEFAULT 0,
    exec_running                 INTEGER NOT NULL DEFAULT 0,
    exec_succeeded               INTEGER NOT NULL DEFAULT 0,
    exec_failed                  INTEGER NOT NULL DEFAULT 0,
    exec_timed_out               INTEGER NOT NULL DEFAULT 0,
    exec_aborted                 INTEGER NOT NULL DEFAULT 0,
    exec_total                   INTEGER NOT NULL DEFAULT 0,
    exec_results_written         INTEGER NOT NULL DEFAULT 0,
    exec_failures_not_redrivable INTEGER NOT NULL DEFAULT 0,
    exec_pending_redrive         INTEGER NOT NULL DEFAULT 0,
    start_date                   INTEGER NOT NULL,
    stop_date                    INTEGER,
    redrive_count                INTEGER NOT NULL DEFAULT 0,
    redrive_date                 INTEGER
);
CREATE INDEX map_runs_execution ON map_runs (execution_arn, start_date, id);

CREATE TABLE leases (
    execution_arn TEXT PRIMARY KEY,
    owner         TEXT NOT NULL,
    expires_at    INTEGER NOT NULL
) WITHOUT ROWID;
