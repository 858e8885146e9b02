-- pipeline.c
INSERT INTO consumer_offsets (consumer, topic, partition, next_offset)
VALUES ($1, $2, $3, $4) ON CONFLICT (consumer, topic, partition) DO
UPDATE SET next_offset = greatest(consumer_offsets.next_offset,
EXCLUDED.next_offset), updated_at = now();
