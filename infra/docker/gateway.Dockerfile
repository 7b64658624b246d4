# The gateway: nginx with the web dashboard's built files, from the repo root.
# Stage 1 builds services/dashboard with Node (npm ci from the committed lock file);
# stage 2 is the nginx image, whose entrypoint runs envsubst on /etc/nginx/templates/.
FROM node:24-alpine AS dashboard
WORKDIR /dashboard
COPY services/dashboard/package.json services/dashboard/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY services/dashboard/ ./
RUN npm run build

FROM nginx:1.27-alpine
ENV DASHBOARD_ROOT=/usr/share/conveyor/dashboard
COPY --from=dashboard /dashboard/dist/ /usr/share/conveyor/dashboard/
COPY infra/nginx/conveyor.conf.template /etc/nginx/templates/conveyor.conf.template
EXPOSE 8080
