-- complaint.c
SELECT application_id, state FROM complaints WHERE complaint_id = $1
FOR UPDATE;
