-- state.c: one history row, $2 -> $3, with its cause.
INSERT INTO transitions (application_id, from_stage, to_stage, at, cause_kind, cause_event_id,
                         cause_topic, cause_partition, cause_offset, cause_timer_id,
                         cause_actor, cause_request_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12);
