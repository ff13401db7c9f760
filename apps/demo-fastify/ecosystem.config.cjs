// PM2 cluster mode: `pm2 start ecosystem.config.cjs` (after `pnpm build`). PM2 starts the instances and shares
// PORT among them; they share metrics only because each is given the same MPMETRICS_DIR, which the first one
// makes (mode 700). PM2 waits for each one's 'ready' message. Remove the directory after `pm2 delete demo-fastify`.
const os = require('node:os');
const path = require('node:path');

module.exports = {
  apps: [
    {
      name: 'demo-fastify',
      script: 'dist/server.js',
      cwd: __dirname,
      exec_mode: 'cluster',
      instances: Number(process.env.WORKERS || 2),
      wait_ready: true,
      listen_timeout: 10000,
      kill_timeout: 5000,
      env: {
        PORT: process.env.PORT || '3000',
        MPMETRICS_DIR: path.join(os.tmpdir(), `mpmetrics-demo-fastify-${os.userInfo().uid}`),
      },
    },
  ],
};
