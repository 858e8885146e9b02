-- cmd_apps.c
SELECT id::text, consumer, topic, partition::text, "offset"::text,
reason, at::text, replayed_at::text FROM dead_letters ORDER BY id;
