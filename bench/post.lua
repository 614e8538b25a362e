-- wrk script: every request is a POST of a 400-byte JSON body shaped like a provider's
-- task-status callback, so the servers read a realistic body, not just a head.
local head = '{"task_id":"4b7c1d2e-9f3a-4c5b-8e6d-0a1b2c3d4e5f","status":"COMPLETED",'
  .. '"generated":["https://cdn.example.com/videos/4b7c1d2e/output.mp4"],"pad":"'
local tail = '"}'
local body = head .. string.rep("x", 400 - #head - #tail) .. tail
assert(#body == 400, "body must be 400 bytes, is " .. #body)

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
