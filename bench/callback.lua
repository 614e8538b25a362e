-- wrk script: signed-shape Freepik callbacks, each with a unique webhook-id and task_id, so every
-- request is a new delivery the journal must make durable (no dedupe shortcut).
local counter = 0
local prefix = tostring(os.time()) .. "-" .. tostring(math.random(1, 1000000000))

request = function()
  counter = counter + 1
  local id = prefix .. "-" .. counter
  local body = '{"task_id":"' .. id .. '","status":"COMPLETED","generated":["https://cdn.example/videos/'
    .. id .. '.mp4"],"meta":"' .. string.rep("x", 200) .. '"}'
  local headers = {
    ["Content-Type"] = "application/json",
    ["webhook-id"] = "msg_" .. id,
    ["webhook-timestamp"] = tostring(os.time()),
  }
  return wrk.format("POST", "/hooks/freepik", headers, body)
end

done = function(summary, latency, requests)
  io.write(string.format("non2xx %d\n", summary.errors.status))
end
