-- cmd_apps.c
SELECT from_stage, to_stage, at::text, cause_kind, coalesce(cause_topic || '/' ||
cause_partition || '@' || cause_offset || ' ' || cause_event_id, cause_actor,
'timer ' || cause_timer_id, 'reply window of request ' || cause_request_id) AS cause
FROM transitions WHERE application_id = $1
ORDER BY id;
