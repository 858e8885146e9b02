-- decider.c: with executor review, the applications waiting for it and not yet warned about,
-- with since when they wait (the workers' clock at the stage change that brought them).
SELECT a.application_id,
       extract(epoch FROM (SELECT max(t.at) FROM transitions t
                            WHERE t.application_id = a.application_id
                              AND t.to_stage = 'awaiting_decision'))::bigint
FROM applications a
WHERE a.stage = 'awaiting_decision' AND a.reviewed_at IS NULL AND a.review_warned_at IS NULL
ORDER BY a.updated_at LIMIT $1
FOR UPDATE OF a SKIP LOCKED;
