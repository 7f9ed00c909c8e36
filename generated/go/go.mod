module mattermost/telemetry

go 1.19
