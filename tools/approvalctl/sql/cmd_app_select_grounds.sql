-- approvalctl app: the refusal grounds recorded (Standard row 9), with their rules.
SELECT source, code, number, rule, text_ru, text_kk,
       to_char(raised_at AT TIME ZONE 'Asia/Almaty', 'YYYY-MM-DD HH24:MI') AS at
FROM grounds WHERE application_id = $1 ORDER BY id;
