package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/causeway-ir/causeway/webui"
)

func cmdUsers(ctx context.Context, args []string, e env) error {
	if len(args) == 0 {
		return usagef("users needs a subcommand: add or list")
	}
	switch args[0] {
	case "add":
		fs := newFlags("users add", "--case DIR --name NAME --role analyst|viewer|facilitator|participant [--addr HOST:PORT]", e)
		caseDir := fs.String("case", "", "case directory")
		name := fs.String("name", "", "the user's name")
		role := fs.String("role", "", "analyst, viewer, facilitator or participant")
		addr := fs.String("addr", "127.0.0.1:8080", "the address serve listens on, for the printed login URL")
		tlsOn := fs.Bool("tls", false, "the server uses TLS (https login URL)")
		if _, err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *caseDir == "" || *name == "" || *role == "" {
			return usagef("--case, --name and --role are required")
		}
		if !timeline.ValidRole(*role) {
			return usagef("--role must be analyst, viewer, facilitator or participant")
		}
		c, err := timeline.Open(*caseDir)
		if err != nil {
			return err
		}
		db, err := c.OpenDB()
		if err != nil {
			return err
		}
		defer db.Close()
		who := e.getenv("USER")
		if who == "" {
			who = "owner"
		}
		token, err := db.AddUser(ctx, *name, *role, who)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "User %s (%s) added. Their login URL (give it to them privately; it is shown only now):\n\n    %s\n",
			termSafe(*name), *role, webui.LoginURLFor(*addr, *tlsOn, token))
		return nil
	case "list":
		fs := newFlags("users list", "--case DIR", e)
		caseDir := fs.String("case", "", "case directory")
		if _, err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *caseDir == "" {
			return usagef("--case is required")
		}
		c, err := timeline.Open(*caseDir)
		if err != nil {
			return err
		}
		db, err := c.OpenDB()
		if err != nil {
			return err
		}
		defer db.Close()
		us, err := db.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tCREATED")
		for _, u := range us {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", termSafe(u.Name), u.Role, u.Created.Format("2006-01-02T15:04:05Z"))
		}
		return tw.Flush()
	}
	return usagef("unknown users subcommand %q: add or list", args[0])
}
