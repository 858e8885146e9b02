-- state.c: the history of an application inserted directly in stage $3: none -> $2
-- (registered) and $2 -> $3, with the same cause, in one statement.
INSERT INTO transitions (application_id, from_stage, to_stage, at, cause_kind, cause_event_id,
                         cause_topic, cause_partition, cause_offset, cause_timer_id,
                         cause_actor, cause_request_id)
VALUES ($1, 'none', $2, $4, $5, $6, $7, $8, $9, $10, $11, $12),
       ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12);
