-- approval.c
SELECT count(*) FILTER (WHERE state = 'received'),
count(*) FILTER (WHERE outcome IS NOT NULL)
FROM agency_requests WHERE application_id = $1;
