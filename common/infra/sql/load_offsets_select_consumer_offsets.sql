-- pipeline.c
SELECT topic, partition, next_offset FROM consumer_offsets
WHERE consumer = $1;
