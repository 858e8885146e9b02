-- main.c
SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets
WHERE consumer = 'lic-intake' AND topic = $1;
