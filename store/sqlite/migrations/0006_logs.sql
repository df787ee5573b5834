-- CloudWatch Logs: groups, their streams and the streams' events. Times are milliseconds
-- since the epoch, as in the Logs API. Events are read in (ts, seq) order, seq being the
-- rowid (an ingestion counter), per stream or across a group.
CREATE TABLE log_groups (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL UNIQUE,
    created_at     INTEGER NOT NULL,
    retention_days INTEGER NOT NULL DEFAULT 0,
    tags           TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE log_streams (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id       INTEGER NOT NULL REFERENCES log_groups (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    first_event    INTEGER,
    last_event     INTEGER NOT NULL DEFAULT 0,
    last_ingestion INTEGER,
    stored_bytes   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (group_id, name)
);

-- DescribeLogStreams --order-by LastEventTime.
CREATE INDEX log_streams_by_last_event ON log_streams (group_id, last_event, name);

CREATE TABLE log_events (
    seq       INTEGER PRIMARY KEY,
    group_id  INTEGER NOT NULL,
    stream_id INTEGER NOT NULL REFERENCES log_streams (id) ON DELETE CASCADE,
    ts        INTEGER NOT NULL,
    ingested  INTEGER NOT NULL,
    message   TEXT NOT NULL
);

-- GetLogEvents (one stream) and FilterLogEvents (a group, interleaved); both indexes end
-- with the rowid, so (ts, seq) order comes from the index.
CREATE INDEX log_events_by_stream ON log_events (stream_id, ts);
CREATE INDEX log_events_by_group ON log_events (group_id, ts);
