package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/store"
)

var _ store.LogStore = (*Store)(nil)

func (s *Store) nowMS(ms int64) int64 {
	if ms == 0 {
		return s.now().UnixMilli()
	}
	return ms
}

const logGroupColumns = `g.id, g.name, g.created_at, g.retention_days, g.tags,
	(SELECT coalesce(sum(stored_bytes), 0) FROM log_streams WHERE group_id = g.id)`

func scanLogGroup(row scanner) (int64, *store.LogGroup, error) {
	var id int64
	var g store.LogGroup
	var tags string
	if err := row.Scan(&id, &g.Name, &g.CreationTime, &g.RetentionDays, &tags, &g.StoredBytes); err != nil {
		return 0, nil, err
	}
	if tags != "{}" && tags != "" {
		if err := json.Unmarshal([]byte(tags), &g.Tags); err != nil {
			return 0, nil, fmt.Errorf("log group %s: tags: %w", g.Name, err)
		}
	}
	return id, &g, nil
}

func getLogGroup(q querier, name string) (int64, *store.LogGroup, error) {
	id, g, err := scanLogGroup(q.queryRow(`SELECT `+logGroupColumns+` FROM log_groups g WHERE g.name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, notFound("log group", name)
	}
	return id, g, err
}

func tagsText(tags map[string]string) (string, error) {
	if len(tags) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(tags)
	return string(b), err
}

// LogGroupCreate implements store.LogStore.
func (s *Store) LogGroupCreate(ctx context.Context, p *store.LogGroupCreateParams) (*store.LogGroup, error) {
	if p.Name == "" {
		return nil, invalid("log group needs a name")
	}
	tags, err := tagsText(p.Tags)
	if err != nil {
		return nil, err
	}
	var g *store.LogGroup
	err = s.write(ctx, func(tx *wtx) error {
		_, existing, err := getLogGroup(tx, p.Name)
		if err == nil {
			g = existing
			return fmt.Errorf("%w: log group %s", store.ErrAlreadyExists, p.Name)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if _, err := tx.exec(`INSERT INTO log_groups (name, created_at, tags) VALUES (?, ?, ?)`, p.Name, s.nowMS(p.CreationTime), tags); err != nil {
			return err
		}
		_, g, err = getLogGroup(tx, p.Name)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return nil, err
	}
	return g, err
}

// LogGroupGet implements store.LogStore.
func (s *Store) LogGroupGet(ctx context.Context, p *store.LogGroupGetParams) (*store.LogGroup, error) {
	_, g, err := getLogGroup(s.reader(ctx), p.Name)
	return g, err
}

// LogGroupList implements store.LogStore.
func (s *Store) LogGroupList(ctx context.Context, p *store.LogGroupListParams) (*store.LogGroupListResult, error) {
	if p.Limit < 0 {
		return nil, invalid("log group list: limit %d", p.Limit)
	}
	var q strings.Builder
	args := []any{p.After}
	q.WriteString(`SELECT ` + logGroupColumns + ` FROM log_groups g WHERE g.name > ?`)
	if p.Prefix != "" {
		q.WriteString(` AND substr(g.name, 1, ?) = ?`)
		args = append(args, len(p.Prefix), p.Prefix)
	}
	if p.Contains != "" {
		q.WriteString(` AND instr(g.name, ?) > 0`)
		args = append(args, p.Contains)
	}
	q.WriteString(` ORDER BY g.name`)
	if p.Limit > 0 {
		q.WriteString(` LIMIT ?`)
		args = append(args, p.Limit+1)
	}
	rows, err := s.reader(ctx).query(q.String(), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	res := &store.LogGroupListResult{}
	for rows.Next() {
		_, g, err := scanLogGroup(rows)
		if err != nil {
			return nil, err
		}
		res.Groups = append(res.Groups, g)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if p.Limit > 0 && len(res.Groups) > p.Limit {
		res.Groups = res.Groups[:p.Limit]
		res.Next = res.Groups[p.Limit-1].Name
	}
	return res, nil
}

// LogGroupUpdate implements store.LogStore.
func (s *Store) LogGroupUpdate(ctx context.Context, p *store.LogGroupUpdateParams) (*store.LogGroup, error) {
	if p.RetentionDays != nil && *p.RetentionDays < 0 {
		return nil, invalid("log group retention %d", *p.RetentionDays)
	}
	var g *store.LogGroup
	err := s.write(ctx, func(tx *wtx) error {
		id, cur, err := getLogGroup(tx, p.Name)
		if err != nil {
			return err
		}
		if p.RetentionDays != nil {
			cur.RetentionDays = *p.RetentionDays
		}
		if len(p.SetTags) > 0 || len(p.RemoveTags) > 0 {
			if cur.Tags == nil {
				cur.Tags = map[string]string{}
			}
			for k, v := range p.SetTags {
				cur.Tags[k] = v
			}
			for _, k := range p.RemoveTags {
				delete(cur.Tags, k)
			}
		}
		tags, err := tagsText(cur.Tags)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE log_groups SET retention_days = ?, tags = ? WHERE id = ?`, cur.RetentionDays, tags, id); err != nil {
			return err
		}
		_, g, err = getLogGroup(tx, p.Name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// LogGroupDelete implements store.LogStore.
func (s *Store) LogGroupDelete(ctx context.Context, p *store.LogGroupDeleteParams) error {
	return s.write(ctx, func(tx *wtx) error {
		id, _, err := getLogGroup(tx, p.Name)
		if err != nil {
			return err
		}
		// Events first, by the group index: the cascade from streams would look them up
		// stream by stream.
		if _, err := tx.exec(`DELETE FROM log_events WHERE group_id = ?`, id); err != nil {
			return err
		}
		_, err = tx.exec(`DELETE FROM log_groups WHERE id = ?`, id)
		return err
	})
}

const logStreamColumns = `s.id, g.name, s.name, s.created_at, coalesce(s.first_event, 0), s.last_event,
	coalesce(s.last_ingestion, 0), s.stored_bytes`

func scanLogStream(row scanner) (int64, *store.LogStream, error) {
	var id int64
	var st store.LogStream
	err := row.Scan(&id, &st.GroupName, &st.Name, &st.CreationTime, &st.FirstEventTimestamp, &st.LastEventTimestamp,
		&st.LastIngestionTime, &st.StoredBytes)
	return id, &st, err
}

func getLogStream(q querier, group, name string) (int64, *store.LogStream, error) {
	id, st, err := scanLogStream(q.queryRow(`SELECT `+logStreamColumns+` FROM log_streams s JOIN log_groups g ON g.id = s.group_id
		WHERE g.name = ? AND s.name = ?`, group, name))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, notFound("log stream", group+":"+name)
	}
	return id, st, err
}

// LogStreamCreate implements store.LogStore.
func (s *Store) LogStreamCreate(ctx context.Context, p *store.LogStreamCreateParams) (*store.LogStream, error) {
	if p.GroupName == "" || p.Name == "" {
		return nil, invalid("log stream needs a group and a name")
	}
	var st *store.LogStream
	err := s.write(ctx, func(tx *wtx) error {
		gid, _, err := getLogGroup(tx, p.GroupName)
		if err != nil {
			return err
		}
		_, existing, err := getLogStream(tx, p.GroupName, p.Name)
		if err == nil {
			st = existing
			return fmt.Errorf("%w: log stream %s:%s", store.ErrAlreadyExists, p.GroupName, p.Name)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if _, err := tx.exec(`INSERT INTO log_streams (group_id, name, created_at) VALUES (?, ?, ?)`, gid, p.Name, s.nowMS(p.CreationTime)); err != nil {
			return err
		}
		_, st, err = getLogStream(tx, p.GroupName, p.Name)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return nil, err
	}
	return st, err
}

// LogStreamGet implements store.LogStore.
func (s *Store) LogStreamGet(ctx context.Context, p *store.LogStreamGetParams) (*store.LogStream, error) {
	_, st, err := getLogStream(s.reader(ctx), p.GroupName, p.Name)
	return st, err
}

// LogStreamList implements store.LogStore.
func (s *Store) LogStreamList(ctx context.Context, p *store.LogStreamListParams) (*store.LogStreamListResult, error) {
	if p.Limit < 0 {
		return nil, invalid("log stream list: limit %d", p.Limit)
	}
	r := s.reader(ctx)
	gid, _, err := getLogGroup(r, p.GroupName)
	if err != nil {
		return nil, err
	}
	var q strings.Builder
	args := []any{gid}
	q.WriteString(`SELECT ` + logStreamColumns + ` FROM log_streams s JOIN log_groups g ON g.id = s.group_id WHERE s.group_id = ?`)
	if p.Prefix != "" {
		q.WriteString(` AND substr(s.name, 1, ?) = ?`)
		args = append(args, len(p.Prefix), p.Prefix)
	}
	cmp, dir := ">", ""
	if p.Descending {
		cmp, dir = "<", " DESC"
	}
	byTime := p.OrderBy == store.LogStreamOrderLastEventTime
	if p.After != "" {
		if byTime {
			ts, name, ok := strings.Cut(p.After, "/")
			n, err := strconv.ParseInt(ts, 10, 64)
			if !ok || err != nil {
				return nil, fmt.Errorf("%w: log stream page %q", store.ErrInvalidToken, p.After)
			}
			q.WriteString(` AND (s.last_event, s.name) ` + cmp + ` (?, ?)`)
			args = append(args, n, name)
		} else {
			q.WriteString(` AND s.name ` + cmp + ` ?`)
			args = append(args, p.After)
		}
	}
	if byTime {
		q.WriteString(` ORDER BY s.last_event` + dir + `, s.name` + dir)
	} else {
		q.WriteString(` ORDER BY s.name` + dir)
	}
	if p.Limit > 0 {
		q.WriteString(` LIMIT ?`)
		args = append(args, p.Limit+1)
	}
	rows, err := r.query(q.String(), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	res := &store.LogStreamListResult{}
	for rows.Next() {
		_, st, err := scanLogStream(rows)
		if err != nil {
			return nil, err
		}
		res.Streams = append(res.Streams, st)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if p.Limit > 0 && len(res.Streams) > p.Limit {
		res.Streams = res.Streams[:p.Limit]
		last := res.Streams[p.Limit-1]
		res.Next = last.Name
		if byTime {
			res.Next = strconv.FormatInt(last.LastEventTimestamp, 10) + "/" + last.Name
		}
	}
	return res, nil
}

// LogStreamDelete implements store.LogStore.
func (s *Store) LogStreamDelete(ctx context.Context, p *store.LogStreamDeleteParams) error {
	return s.write(ctx, func(tx *wtx) error {
		id, _, err := getLogStream(tx, p.GroupName, p.Name)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM log_events WHERE stream_id = ?`, id); err != nil {
			return err
		}
		_, err = tx.exec(`DELETE FROM log_streams WHERE id = ?`, id)
		return err
	})
}

// LogEventAppend implements store.LogStore.
func (s *Store) LogEventAppend(ctx context.Context, p *store.LogEventAppendParams) ([]error, error) {
	ingested := s.nowMS(p.IngestionTime)
	results := make([]error, len(p.Batches))
	err := s.write(ctx, func(tx *wtx) error {
		for i, b := range p.Batches {
			b.Keys = nil
			err, fatal := tx.savepoint("logs", func(tx *wtx) error { return s.appendLogBatch(tx, b, ingested) })
			if fatal != nil {
				return fatal
			}
			results[i] = err
		}
		return nil
	})
	if err != nil {
		for _, b := range p.Batches {
			b.Keys = nil
		}
		return nil, err
	}
	return results, nil
}

func (s *Store) appendLogBatch(tx *wtx, b *store.LogEventBatch, ingested int64) error {
	gid, _, err := getLogGroup(tx, b.GroupName)
	if errors.Is(err, store.ErrNotFound) && b.Create {
		if _, err = tx.exec(`INSERT INTO log_groups (name, created_at) VALUES (?, ?)`, b.GroupName, ingested); err != nil {
			return err
		}
		gid, _, err = getLogGroup(tx, b.GroupName)
	}
	if err != nil {
		return err
	}
	sid, _, err := getLogStream(tx, b.GroupName, b.StreamName)
	if errors.Is(err, store.ErrNotFound) && b.Create {
		if _, err = tx.exec(`INSERT INTO log_streams (group_id, name, created_at) VALUES (?, ?, ?)`, gid, b.StreamName, ingested); err != nil {
			return err
		}
		sid, _, err = getLogStream(tx, b.GroupName, b.StreamName)
	}
	if err != nil {
		return err
	}
	if len(b.Events) == 0 {
		return nil
	}
	first, last := b.Events[0].Timestamp, b.Events[0].Timestamp
	var size int64
	keys := make([]store.LogEventKey, 0, len(b.Events))
	for _, e := range b.Events {
		res, err := tx.exec(`INSERT INTO log_events (group_id, stream_id, ts, ingested, message) VALUES (?, ?, ?, ?, ?)`,
			gid, sid, e.Timestamp, ingested, e.Message)
		if err != nil {
			return err
		}
		seq, err := res.LastInsertId()
		if err != nil {
			return err
		}
		keys = append(keys, store.LogEventKey{Timestamp: e.Timestamp, Seq: seq})
		first, last = min(first, e.Timestamp), max(last, e.Timestamp)
		size += int64(len(e.Message))
	}
	if _, err := tx.exec(`UPDATE log_streams SET first_event = min(coalesce(first_event, ?), ?), last_event = max(last_event, ?),
		last_ingestion = ?, stored_bytes = stored_bytes + ? WHERE id = ?`, first, first, last, ingested, size, sid); err != nil {
		return err
	}
	b.Keys = keys
	return nil
}

// LogEventList implements store.LogStore.
func (s *Store) LogEventList(ctx context.Context, p *store.LogEventListParams) (*store.LogEventListResult, error) {
	if p.Limit < 0 {
		return nil, invalid("log event list: limit %d", p.Limit)
	}
	res := &store.LogEventListResult{}
	err := s.readTx(ctx, func(r *reader) error {
		gid, _, err := getLogGroup(r, p.GroupName)
		if err != nil {
			return err
		}
		var q strings.Builder
		var args []any
		q.WriteString(`SELECT e.seq, e.ts, e.ingested, e.message, s.name FROM log_events e JOIN log_streams s ON s.id = e.stream_id WHERE `)
		switch {
		case len(p.Streams) == 1:
			// One stream: its own index.
			var sid int64
			err := r.queryRow(`SELECT id FROM log_streams WHERE group_id = ? AND name = ?`, gid, p.Streams[0]).Scan(&sid)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			q.WriteString(`e.stream_id = ?`)
			args = append(args, sid)
		default:
			q.WriteString(`e.group_id = ?`)
			args = append(args, gid)
			if len(p.Streams) > 0 {
				names := append([]string(nil), p.Streams...)
				sort.Strings(names)
				q.WriteString(` AND s.name IN (?` + strings.Repeat(", ?", len(names)-1) + `)`)
				for _, n := range names {
					args = append(args, n)
				}
			}
		}
		if p.Prefix != "" {
			q.WriteString(` AND substr(s.name, 1, ?) = ?`)
			args = append(args, len(p.Prefix), p.Prefix)
		}
		if p.StartTime > 0 {
			q.WriteString(` AND e.ts >= ?`)
			args = append(args, p.StartTime)
		}
		if p.EndTime > 0 {
			q.WriteString(` AND e.ts < ?`)
			args = append(args, p.EndTime)
		}
		if k := p.After; k != nil {
			q.WriteString(` AND (e.ts, e.seq) > (?, ?)`)
			args = append(args, k.Timestamp, k.Seq)
		}
		if k := p.Before; k != nil {
			q.WriteString(` AND (e.ts, e.seq) < (?, ?)`)
			args = append(args, k.Timestamp, k.Seq)
		}
		if p.Descending {
			q.WriteString(` ORDER BY e.ts DESC, e.seq DESC`)
		} else {
			q.WriteString(` ORDER BY e.ts, e.seq`)
		}
		if p.Limit > 0 {
			q.WriteString(` LIMIT ?`)
			args = append(args, p.Limit)
		}
		rows, err := r.query(q.String(), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e store.LogEvent
			if err := rows.Scan(&e.Key.Seq, &e.Key.Timestamp, &e.IngestionTime, &e.Message, &e.Stream); err != nil {
				return err
			}
			res.Events = append(res.Events, &e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// LogEventDeleteBefore implements store.LogStore.
func (s *Store) LogEventDeleteBefore(ctx context.Context, p *store.LogEventDeleteBeforeParams) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *wtx) error {
		gid, _, err := getLogGroup(tx, p.GroupName)
		if err != nil {
			return err
		}
		n, err = tx.execN(`DELETE FROM log_events WHERE group_id = ? AND ts < ?`, gid, p.Timestamp)
		return err
	})
	return n, err
}
