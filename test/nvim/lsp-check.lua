-- Drives qdc's language server from neovim's built-in LSP client (neovim 0.7 API) and
-- writes what it saw as JSON to $QDC_NVIM_OUT: the diagnostics of a broken document and a
-- capability-name completion.
local out_path = os.getenv('QDC_NVIM_OUT')
local qdc = os.getenv('QDC_BIN')
local caps = os.getenv('QDC_CAPS_FILE')
local doc = os.getenv('QDC_NVIM_DOC')
local result = { diagnostics = {}, completion = {}, errors = {} }

local function finish()
  local f = io.open(out_path, 'w')
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd('qall!')
end

vim.cmd('edit ' .. doc)
local bufnr = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({
  name = 'qdc',
  cmd = { 'node', qdc, 'lsp', '--stdio' },
  root_dir = vim.fn.getcwd(),
  init_options = { capsFile = caps },
  handlers = {
    ['textDocument/publishDiagnostics'] = function(_, params)
      for _, d in ipairs(params.diagnostics) do
        table.insert(result.diagnostics, { code = d.code, message = d.message, line = d.range.start.line, character = d.range.start.character })
      end
    end,
  },
  on_error = function(code) table.insert(result.errors, tostring(code)) end,
})
if not client_id then table.insert(result.errors, 'start_client failed'); finish() end
vim.lsp.buf_attach_client(bufnr, client_id)

-- wait for the first diagnostics, then ask for a completion inside capability='…'
local ok = vim.wait(10000, function() return #result.diagnostics > 0 end, 50)
if not ok then table.insert(result.errors, 'no diagnostics within 10 s') end
local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
local pos
for i, l in ipairs(lines) do
  local c = l:find("capability='", 1, true)
  if c then pos = { line = i - 1, character = c - 1 + #"capability='" } end
end
local client = vim.lsp.get_client_by_id(client_id)
local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = pos }
local resp = client.request_sync('textDocument/completion', params, 10000, bufnr)
if resp and resp.result then
  local items = resp.result.items or resp.result
  for i, it in ipairs(items) do
    if i <= 500 then table.insert(result.completion, it.label) end
  end
else
  table.insert(result.errors, 'completion failed: ' .. vim.inspect(resp and resp.err))
end
client.stop()
finish()
