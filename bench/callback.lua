-- wrk script: signed-shape Freepik callbacks, each with a unique webhook-id and task_id, so every
-- request is a new delivery the journal must make durable (no dedupe shortcut). An optional
-- argument (`wrk ... -s bench/callback.lua URL -- N [PREFIX]`) pads each result URL with N more
-- bytes (bench/hostile.sh's way to a journal, and a task table, of 1 GiB from a million
-- callbacks); a second one replaces the id prefix (the time and a random number, which repeat
-- across wrk runs started within a second).
local counter = 0
local padding = ""
local prefix = tostring(os.time()) .. "-" .. tostring(math.random(1, 1000000000))

init = function(args)
  padding = string.rep("r", tonumber(args[1] or "0") or 0)
  if args[2] then prefix = args[2] end
end

request = function()
  counter = counter + 1
  local id = prefix .. "-" .. counter
  local body = '{"task_id":"' .. id .. '","status":"COMPLETED","generated":["https://cdn.example/videos/'
    .. id .. padding .. '.mp4"],"meta":"' .. string.rep("x", 200) .. '"}'
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
