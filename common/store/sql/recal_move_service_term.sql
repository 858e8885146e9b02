-- recal.c: the service term moved; its watch looks again at once ($3: now).
UPDATE applications SET service_deadline = to_timestamp($2),
    term_watch_at = CASE WHEN term_watch_at IS NULL THEN NULL
                         ELSE least(term_watch_at, to_timestamp($3)) END
WHERE application_id = $1::uuid;
