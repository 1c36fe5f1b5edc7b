#!/bin/sh
# Start the service: apply migrations, then hand PID 1 to Daphne.
# With arguments, run them instead (e.g. `python manage.py createsuperuser`), without migrating.
set -e

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

python manage.py migrate --noinput
exec python -m attendance_project.serve -b 0.0.0.0 -p "${PORT:-3000}" attendance_project.asgi:application
