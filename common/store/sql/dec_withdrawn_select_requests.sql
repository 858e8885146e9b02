-- decision.c: the requests no agency has answered nor deemed, and of them those not received.
SELECT count(*) FILTER (WHERE outcome IS NULL),
       count(*) FILTER (WHERE outcome IS NULL AND received_at IS NULL)
FROM agency_requests WHERE application_id = $1;
