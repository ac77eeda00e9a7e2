package signal

import (
	"math"
	"math/rand/v2"
	"slices"
)

// cities are the centres routes are drawn around (lat, lon).
var cities = [...][2]float64{
	{48.1372, 11.5755},  // Munich
	{52.5200, 13.4050},  // Berlin
	{45.4642, 9.1900},   // Milan
	{48.8566, 2.3522},   // Paris
	{51.9244, 4.4777},   // Rotterdam
	{40.4168, -3.7038},  // Madrid
	{59.3293, 18.0686},  // Stockholm
	{41.8781, -87.6298}, // Chicago
	{34.0522, -118.2437},
	{35.6762, 139.6503}, // Tokyo
	{-23.5505, -46.6333},
	{-33.8688, 151.2093},
}

const kmPerDegLat = 111.32

// route is a closed loop of waypoints around a centre; the vehicle drives
// round it. Coordinates are km east (x) and north (y) of the centre.
type route struct {
	lat0, lon0  float64
	kmPerDegLon float64
	pts         [][2]float64
	loopKm      float64 // length of the whole loop
	seg         int     // current segment: pts[seg] -> pts[seg+1]
	along       float64 // km driven along the current segment
	x, y        float64 // current position
	heading     float64 // degrees from north, clockwise
}

func newRoute(r *rand.Rand, radiusKm [2]float64) route {
	c := cities[r.IntN(len(cities))]
	lat0 := c[0] + uniform(r, -0.05, 0.05)
	lon0 := c[1] + uniform(r, -0.05, 0.05)
	n := 6 + r.IntN(7)
	rad := uniform(r, radiusKm[0], radiusKm[1])
	angles := make([]float64, n)
	for i := range angles {
		angles[i] = uniform(r, 0, 2*math.Pi)
	}
	slices.Sort(angles)
	pts := make([][2]float64, 0, n+1)
	for _, a := range angles {
		d := rad * uniform(r, 0.35, 1)
		pts = append(pts, [2]float64{d * math.Sin(a), d * math.Cos(a)})
	}
	pts = append(pts, pts[0]) // close the loop
	rt := route{
		lat0: lat0, lon0: lon0, kmPerDegLon: kmPerDegLat * math.Cos(lat0*math.Pi/180),
		pts: pts, seg: r.IntN(n),
	}
	for i := range n {
		rt.loopKm += math.Hypot(pts[i+1][0]-pts[i][0], pts[i+1][1]-pts[i][1])
	}
	rt.along = uniform(r, 0, rt.segLen())
	rt.place()
	return rt
}

func (rt *route) segLen() float64 {
	a, b := rt.pts[rt.seg], rt.pts[rt.seg+1]
	return math.Hypot(b[0]-a[0], b[1]-a[1])
}

// advance moves the position km along the route.
func (rt *route) advance(km float64) {
	if rt.loopKm <= 0 {
		return
	}
	km = math.Mod(km, rt.loopKm)
	for km > 0 {
		left := rt.segLen() - rt.along
		if km < left {
			rt.along += km
			break
		}
		km -= left
		rt.seg = (rt.seg + 1) % (len(rt.pts) - 1)
		rt.along = 0
	}
	rt.place()
}

func (rt *route) place() {
	a, b := rt.pts[rt.seg], rt.pts[rt.seg+1]
	l := rt.segLen()
	f := 0.0
	if l > 0 {
		f = rt.along / l
	}
	rt.x = a[0] + (b[0]-a[0])*f
	rt.y = a[1] + (b[1]-a[1])*f
	if l > 0 {
		rt.heading = math.Mod(math.Atan2(b[0]-a[0], b[1]-a[1])*180/math.Pi+360, 360)
	}
}

func (rt *route) lat() float64 { return rt.lat0 + rt.y/kmPerDegLat }
func (rt *route) lon() float64 { return rt.lon0 + rt.x/rt.kmPerDegLon }
