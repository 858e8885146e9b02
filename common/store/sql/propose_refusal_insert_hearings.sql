-- decision.c
INSERT INTO hearings (hearing_id, application_id, grounds, proposed_at,
notice_due, hearing_at, means, email, term_note) VALUES ($1, $2, $3::jsonb, $4, $5, $6,
$7, $8, $9);
