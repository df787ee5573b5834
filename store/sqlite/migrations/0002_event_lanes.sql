-- The engine's replay position of each event: the lane (thread of control) that
-- recorded it and, for a StateExited event, the state the lane went to next.
ALTER TABLE events ADD COLUMN lane TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN next TEXT NOT NULL DEFAULT '';
