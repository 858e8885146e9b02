-- complaint.c
UPDATE complaints SET state = 'resolved', outcome = $2,
resolved_at = $3 WHERE complaint_id = $1;
