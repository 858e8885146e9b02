-- documents.c
SELECT l.number, l.version + 1, l.first_issued_on::text,
r.annex_only FROM reissue_requests r JOIN licenses l
ON l.number = r.license_number WHERE r.application_id = $1
FOR UPDATE OF l;
