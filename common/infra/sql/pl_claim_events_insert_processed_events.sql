-- pipeline.c
INSERT INTO processed_events (consumer, event_id, topic, partition,
"offset") SELECT $1, t.event_id, t.topic, t.partition, t."offset"
FROM json_to_recordset($2::json) AS t(event_id text, topic text,
partition integer, "offset" bigint);
