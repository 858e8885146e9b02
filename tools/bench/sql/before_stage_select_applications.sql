-- main.c
SELECT count(*) FROM applications WHERE stage = ANY
('{registered,awaiting_approvals,awaiting_replies,awaiting_decision,refusal_proposed}'::text[]) AND stage <> $1;
