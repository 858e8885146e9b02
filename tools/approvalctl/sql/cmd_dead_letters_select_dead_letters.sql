-- cmd_apps.c
SELECT id, topic, msg_key, payload FROM dead_letters
WHERE id BETWEEN $1 AND $2 ORDER BY id;
