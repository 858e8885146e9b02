-- pipeline.c
WITH ins AS (INSERT INTO dead_letters (consumer, topic,
partition, "offset", reason, msg_key, payload, sha256,
truncated) VALUES ($1, $2, $3, $4, $5, $6::bytea, $7::bytea, $8,
$9) ON CONFLICT DO NOTHING RETURNING id)
SELECT id FROM ins UNION ALL SELECT id FROM dead_letters WHERE
consumer = $1 AND topic = $2 AND partition = $3 AND
"offset" = $4 LIMIT 1;
