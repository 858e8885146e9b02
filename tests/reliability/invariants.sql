-- The invariants every run must keep, whatever was killed or failed meanwhile. One row per
-- invariant with the number of violations (0 when it holds). Run against a test database
-- after the system settled: psql -f invariants.sql, or by the fault suite.
WITH ordered AS (
    SELECT application_id, from_stage, to_stage,
           lag(to_stage) OVER (PARTITION BY application_id ORDER BY id) AS previous,
           row_number() OVER (PARTITION BY application_id ORDER BY id) AS n,
           row_number() OVER (PARTITION BY application_id ORDER BY id DESC) AS from_end
    FROM transitions
), status_stages AS (
    SELECT unnest(ARRAY['registered', 'refused_incomplete', 'license_issued', 'license_reissued',
                        'refused']) AS stage
)
SELECT 'every application is in a known stage' AS invariant, count(*) AS violations
  FROM applications a WHERE NOT EXISTS (SELECT 1 FROM stages s WHERE s.name = a.stage)
UNION ALL
SELECT 'transitions form a legal path from none to the current stage', count(*)
  FROM ordered o
 WHERE (o.n = 1 AND o.from_stage <> 'none')
    OR (o.n > 1 AND o.from_stage IS DISTINCT FROM o.previous)
    OR (o.from_end = 1 AND o.to_stage <> (SELECT stage FROM applications a
                                           WHERE a.application_id = o.application_id))
    OR NOT EXISTS (SELECT 1 FROM stage_transitions t WHERE t.from_stage = o.from_stage
                                                       AND t.to_stage = o.to_stage)
UNION ALL
SELECT 'every application has exactly one registration', count(*)
  FROM (SELECT application_id FROM transitions WHERE from_stage = 'none'
         GROUP BY 1 HAVING count(*) <> 1) x
UNION ALL
SELECT 'license numbers have no gap and no repeat', count(*)
  FROM (SELECT year, count(*) AS n, count(DISTINCT seq) AS d, max(seq) AS m
          FROM issued_documents WHERE kind = 'license' AND version = 1 GROUP BY year) x
 WHERE n <> d OR n <> m
UNION ALL
SELECT 'refusal numbers have no gap and no repeat', count(*)
  FROM (SELECT year, count(*) AS n, count(DISTINCT seq) AS d, max(seq) AS m
          FROM issued_documents WHERE kind = 'refusal' GROUP BY year) x
 WHERE n <> d OR n <> m
UNION ALL
SELECT 'every state change of the contract has its status event, published', count(*)
  FROM transitions t JOIN status_stages s ON s.stage = t.to_stage
 WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.application_id = t.application_id
                      AND o.stage = t.to_stage AND o.sent_at IS NOT NULL)
UNION ALL
SELECT 'no status event is queued twice', count(*)
  FROM (SELECT event_id FROM outbox WHERE event_id IS NOT NULL GROUP BY 1
        HAVING count(*) > 1) x
UNION ALL
SELECT 'one approval request (one idempotency key) per application and agency', count(*)
  FROM (SELECT application_id, agency FROM agency_requests GROUP BY 1, 2
        HAVING count(*) > 1) x
UNION ALL
SELECT 'at most one counted reply per request', count(*)
  FROM (SELECT request_id FROM agency_replies WHERE counted GROUP BY 1 HAVING count(*) > 1) x
UNION ALL
SELECT 'every outcome of a received request is recorded once', count(*)
  FROM agency_requests WHERE outcome IS NOT NULL AND outcome <> 'deemed_approved'
   AND reply_id IS NULL;
