-- pipeline.c
INSERT INTO processed_events (consumer, event_id, topic, partition,
"offset") VALUES ($1, $2, $3, $4, $5)
ON CONFLICT DO NOTHING RETURNING 1;
