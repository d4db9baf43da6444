from kiosk_app.cli import main

raise SystemExit(main())
