-- The outcome SendTaskSuccess/SendTaskFailure gave a task (opaque to the store), kept with
-- the token so that a task resumed after a crash still receives it.
ALTER TABLE task_tokens ADD COLUMN result TEXT NOT NULL DEFAULT '';
