from dlgrade.hub.app import main

main()
