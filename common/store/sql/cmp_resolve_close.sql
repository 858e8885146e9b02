-- complaint.c: resolved by the official $4.
UPDATE complaints SET state = 'resolved', outcome = $2,
resolved_at = $3, resolved_by = $4 WHERE complaint_id = $1;
